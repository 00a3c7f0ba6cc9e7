"""The bottom layer every part shares: the one exception family, safe file writes, printable text, worker
processes, periods and achievement rates. Imports nothing else of retrogen."""
