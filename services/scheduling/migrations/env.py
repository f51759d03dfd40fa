"""Alembic environment of scheduling (its own history): see services/common/migrations.py."""
from services.common.migrations import run_env
from services.scheduling.models import Base

run_env(Base.metadata)
