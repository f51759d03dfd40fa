"""attendance: see README.md for what it owns. The platform slice gives it its process, database,
migrations, outbox and health; its domain arrives with its own issue."""
