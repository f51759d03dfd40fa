"""Alembic environment of archive (its own history): see services/common/migrations.py."""
from services.common.migrations import run_env
from services.archive.models import Base

run_env(Base.metadata)
