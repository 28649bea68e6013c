package seal

import (
	"go.uber.org/fx"

	"github.com/bankauth/bankauth/core/ports"
)

// Module provides the key ring as ports.Sealer and ports.BlindIndexer from
// a Source supplied by the composition root.
var Module = fx.Module("seal",
	fx.Provide(
		Load,
		func(r *Ring) ports.Sealer { return r },
		func(r *Ring) ports.BlindIndexer { return r },
	),
)
