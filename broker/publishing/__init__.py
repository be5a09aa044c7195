"""`POST /contracts/publish`: a consumer version, its branch and tags, and its pacts, in one transaction."""
