"""What works on the database for the routes, the commands and the workers: each module takes a
`Session` and applies the domain's rules (moderation/domain is pure and knows no database)."""
