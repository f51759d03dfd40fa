"""identity's rules (ACC-2, ACC-7, OWASP ASVS 5.0 password policy): pure, no broker."""
from services.identity import domain


def test_password_policy_length_without_composition_rules():
    assert domain.password_problems("krótkie") != []
    assert domain.password_problems("zupełnie zwyczajne zdanie") == []   # no digits or symbols needed
    assert domain.password_problems("a" * 64 + "bcd") == []               # 64 and more allowed
    assert domain.password_problems("x" * 129) != []


def test_password_policy_refuses_common_passwords_and_the_login():
    assert domain.password_problems("password123") != []
    assert domain.password_problems("Dziennik123") != []                  # case-insensitive
    assert domain.password_problems("jan.kowalski", login="jan.kowalski") != []


def test_acc2_who_may_create_which_roles():
    assert domain.can_create_role(["association_admin"], ["school_admin"])
    assert domain.can_create_role(["school_admin"], ["teacher"])
    assert not domain.can_create_role(["school_admin"], ["association_admin"])
    assert domain.can_create_role(["secretary"], ["student"])
    assert not domain.can_create_role(["secretary"], ["teacher"])
    assert not domain.can_create_role(["teacher"], ["student"])
    assert not domain.can_create_role(["parent"], ["student"])
    assert not domain.can_create_role(["school_admin"], ["no_such_role"])


def test_logins_fold_polish_letters_and_stay_unique():
    assert domain.make_login("Łukasz", "Żółć", set()) == "lukasz.zolc"
    assert domain.make_login("Łukasz", "Żółć", {"lukasz.zolc"}) == "lukasz.zolc2"
    assert domain.LOGIN_RE.match(domain.make_login("Zoë", "O'Brien-Śmigły", set()))


def test_tokens_are_stored_hashed():
    assert domain.token_hash("abc") != "abc" and len(domain.token_hash("abc")) == 64
