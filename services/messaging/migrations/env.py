"""Alembic environment of messaging (its own history): see services/common/migrations.py."""
from services.common.migrations import run_env
from services.messaging.models import Base

run_env(Base.metadata)
