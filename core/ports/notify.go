package ports

// Notifier nudges the webhook delivery worker after a transaction committed
// events, so they go out at once rather than at the next poll. Notify never
// blocks.
type Notifier interface{ Notify() }
