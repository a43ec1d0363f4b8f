"""The appeal record format: schema, validation with field paths, import and export."""
