"""The analysis: the typed knowledge base, the closed loop, action history, metrics, the playbook, related
lessons and team views, each computed once for every output."""
