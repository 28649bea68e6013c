// Package ports declares what the core needs from the outside world:
// storage, connectors, sealing, time and ids. Adapters implement them.
package ports
