"""`python -m commands`: the `moderation` command where the console script is not installed
(the children `moderation up` starts, the tests)."""

from commands import main

main()
