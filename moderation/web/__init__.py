"""Server-rendered pages: the article page with its comments and "Leave a Reply" form."""
