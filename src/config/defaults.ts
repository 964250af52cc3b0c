// The embedded default: what `parapet serve` runs with no config file, and the listeners a
// file gets when it defines none (a Stalwart file holding only `[http]` settings).

export const DEFAULT_LISTENERS_TOML = `
[server.listener.http]
protocol = "http"
bind = "0.0.0.0:8080"

[server.listener.https]
protocol = "http"
bind = "0.0.0.0:8443"
tls.implicit = true
`;

export const EMBEDDED_CONFIG_TOML = `# Parapet's embedded default configuration
[server]
data-dir = "./data"
${DEFAULT_LISTENERS_TOML}`;
