"""Alembic environment of attendance (its own history): see services/common/migrations.py."""
from services.common.migrations import run_env
from services.attendance.models import Base

run_env(Base.metadata)
