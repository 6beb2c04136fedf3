"""The Cloudy web panel: box-side package; it never imports cloudy_deploy."""
