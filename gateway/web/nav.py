"""The navigation registry: which pages each role sees in the main menu (ACC-3).

A page module adds its entries when it is imported::

    add_nav("grades_web.index", "Oceny", roles=TEACHERS + (PARENT, STUDENT), order=40,
            description="Oceny cząstkowe, przewidywane i końcowe.")

``nav_for(roles)`` gives the entries of a user's roles, in ``order``. A role sees an entry only
when the entry names it: the association administrator, who passes every permission check,
still sees only the entries made for that role, so the menu stays short and honest."""
from dataclasses import dataclass

from ..auth import (ASSOCIATION_ADMIN, CLASS_TEACHER, DEPUTY_ADMIN, DIRECTOR, INSPECTOR, PARENT, SCHOOL_ADMIN,
                    SECRETARY, STUDENT, TEACHER, VICE_DIRECTOR)

ROLE_LABELS = {
    ASSOCIATION_ADMIN: "administrator stowarzyszenia",
    SCHOOL_ADMIN: "administrator szkoły",
    DEPUTY_ADMIN: "zastępca administratora",
    DIRECTOR: "dyrektor",
    VICE_DIRECTOR: "wicedyrektor",
    TEACHER: "nauczyciel",
    CLASS_TEACHER: "wychowawca",
    SECRETARY: "sekretariat",
    PARENT: "rodzic",
    STUDENT: "uczeń",
    INSPECTOR: "kontrola (tylko odczyt)",
}


@dataclass(frozen=True)
class NavItem:
    endpoint: str          # Flask endpoint of the page ("<blueprint>.<view>")
    label: str             # menu text (Polish)
    roles: frozenset       # roles that see it
    order: int = 100       # position in the menu (lower first)
    description: str = ""  # one sentence for the home page's tiles


_ITEMS = {}


def add_nav(endpoint, label, roles, *, order=100, description=""):
    """Add (or replace) the menu entry of a page."""
    _ITEMS[endpoint] = NavItem(endpoint, label, frozenset(roles), order, description)
    return _ITEMS[endpoint]


def nav_for(roles):
    mine = set(roles or ())
    return sorted((i for i in _ITEMS.values() if i.roles & mine), key=lambda i: (i.order, i.label))


def all_items():
    return sorted(_ITEMS.values(), key=lambda i: (i.order, i.label))


def role_labels(roles):
    return ", ".join(ROLE_LABELS.get(r, r) for r in roles or ())
