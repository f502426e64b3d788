"""The pages: the login page, the school's view, and the JSON the school's view needs."""
