package main

import "go.uber.org/fx"

// balanceWiring composes the balance feature (core/balance and its routes).
var balanceWiring = fx.Options()
