"""messaging: messages (WIADOMOŚCI) with threads, recipient groups, attachments and read
receipts; notes (UWAGA) filed in the student's file; announcements (OGŁOSZENIA) with the
director's approval; system messages from other services' events; entry-error reports; outage
notices; e-mail notices. See README.md."""
