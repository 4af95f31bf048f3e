"""The sample article the demo page shows (written for this project)."""

from __future__ import annotations

DEMO_ARTICLE_ID = "demo"
DEMO_TITLE = "City council votes to turn the old rail yard into a public park"
DEMO_BYLINE = "By the Metro desk"
DEMO_PARAGRAPHS = [
    "After two years of hearings and three rejected plans, the city council voted 7 to 4 on "
    "Monday night to convert the disused rail yard on the east bank into a 40-acre public park, "
    "ending a long fight between housing advocates and neighbourhood groups.",
    "The approved plan keeps the two brick engine sheds, which will become a covered market and "
    "a community workshop, and sets aside the northern strip for 300 affordable homes to be "
    "built in a second phase. Construction of the park is expected to start next spring.",
    "Supporters called the vote overdue. Opponents on the council argued that the city cannot "
    "afford the estimated $85 million cost while the bus network is being cut, and that the "
    "housing promised for the second phase has no funding yet.",
    "The mayor's office said the first phase would be paid for by a state grant and a bond "
    "approved by voters in 2024, and that a funding plan for the housing would come before the "
    "council in the autumn.",
    "Residents can see the plans at the central library until the end of the month, and the "
    "council will hold an open session on the design of the market hall in January.",
]
