"""Alembic environment of identity (its own history): see services/common/migrations.py."""
from services.common.migrations import run_env
from services.identity.models import Base

run_env(Base.metadata)
