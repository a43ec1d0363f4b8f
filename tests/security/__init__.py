"""Security suite: CSRF, headers, XSS, uploads, sessions, redirects, enumeration."""
