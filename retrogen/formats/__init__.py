"""How things read: numbers, the site's words, tables (text, CSV, JSON, Excel), Markdown templates and
documents laid out as blocks."""
