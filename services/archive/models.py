"""archive's tables. Every row carries its school."""
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
