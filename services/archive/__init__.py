"""archive: the yearly XML archive (XSD, checksum, XAdES signature, manifest, HTML view) with a
copy of every service's database, retention and destruction, the register of copies, disclosure
packages of a student's data and the procedure's Annexes 4-6. See README.md."""
