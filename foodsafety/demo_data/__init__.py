"""The demo province and `flask demo …`: a real subtree of 四川省 with a year of records."""
