"""Alembic environment of grades (its own history): see services/common/migrations.py."""
from services.common.migrations import run_env
from services.grades.models import Base

run_env(Base.metadata)
