"""What every list shares, in the pages and the API: the FilterSet base with its ``q`` search,
sorting, pagination, filter widgets and CSV downloads, and the template tags of list pages."""
