package domain

import "testing"

func TestBankServesEnv(t *testing.T) {
	for _, c := range []struct {
		production bool
		env        Env
		want       bool
	}{{false, EnvSandbox, true}, {false, EnvProduction, false}, {true, EnvProduction, true}, {true, EnvSandbox, false}} {
		if got := (Bank{Production: c.production}).ServesEnv(c.env); got != c.want {
			t.Errorf("Bank{Production:%v}.ServesEnv(%s) = %v, want %v", c.production, c.env, got, c.want)
		}
	}
}
