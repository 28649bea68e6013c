package main

import "go.uber.org/fx"

// widgetWiring composes the widget (pages, loader, demo, hosted links).
var widgetWiring = fx.Options()
