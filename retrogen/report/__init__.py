"""Documents that go to management: the 《复盘报告》 of one review, a team's period or all teams' period
(`content`, laid out by `layout`, written as Word, Markdown or HTML by `writers`), and the playbook as a
Word document (`playbook`)."""
