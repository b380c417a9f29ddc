"""One module per screen; `tui.app` puts them together."""
