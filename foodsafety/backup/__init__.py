"""Online backup and restore of the database and the photo files (`flask backup ...`)."""
