"""identity: schools (tenants), people and accounts, credentials and sessions, roles,
guardianships, the student file (kartoteka ucznia) and the login log. See README.md."""
