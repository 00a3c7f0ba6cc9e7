"""A knowledge base's own files: `retrogen init` starts one, `retrogen new` adds a review to fill in."""
