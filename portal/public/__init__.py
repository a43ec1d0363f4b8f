"""Public pages: home, case list, case pages, media, feed, sitemap and health."""
