"""The composition root: the typed settings (``wiring.settings``) and the one place that builds the
store, the plugin registry and the engine from them (``wiring.services``), for the web app, the CLI and
the workers."""
