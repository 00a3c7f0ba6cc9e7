"""The 《复盘报告》: what goes to management about one review, a team's period or all teams' period
(`content`), written as Word, Markdown or HTML (`writers`)."""
