"""HTTP concerns shared by the API functions: parsing, negotiation, links, problems, auth."""
