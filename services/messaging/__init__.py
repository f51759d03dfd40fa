"""messaging: messages (WIADOMOŚCI) with recipients and read receipts, notes (UWAGA) sent to
parents and filed in the student's file, later announcements and system messages. See README.md."""
