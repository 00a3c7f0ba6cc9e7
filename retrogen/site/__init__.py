"""The knowledge-base site: pages generated from the analysis, then built by MkDocs with Material."""
