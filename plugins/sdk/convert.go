package sdk

// All translation between the SDK's types and the generated protobuf types
// lives in this file.

import (
	"sort"
	"time"

	pb "github.com/bankauth/bankauth/plugins/sdk/proto/connector/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

var methodToProto = map[Method]pb.LoginMethod{
	MethodInternetBanking: pb.LoginMethod_LOGIN_METHOD_INTERNET_BANKING,
	MethodMobileBanking:   pb.LoginMethod_LOGIN_METHOD_MOBILE_BANKING,
	MethodUSSD:            pb.LoginMethod_LOGIN_METHOD_USSD,
}

var kindToProto = map[ChallengeKind]pb.ChallengeKind{
	ChallengeOTP:              pb.ChallengeKind_CHALLENGE_KIND_OTP,
	ChallengeSecurityQuestion: pb.ChallengeKind_CHALLENGE_KIND_SECURITY_QUESTION,
	ChallengeUSSD:             pb.ChallengeKind_CHALLENGE_KIND_USSD,
}

var reasonToProto = map[RejectReason]pb.RejectReason{
	RejectInvalidCredentials: pb.RejectReason_REJECT_REASON_INVALID_CREDENTIALS,
	RejectMFAFailed:          pb.RejectReason_REJECT_REASON_MFA_FAILED,
	RejectAccountLocked:      pb.RejectReason_REJECT_REASON_ACCOUNT_LOCKED,
	RejectSessionExpired:     pb.RejectReason_REJECT_REASON_SESSION_EXPIRED,
	RejectUSSDDeclined:       pb.RejectReason_REJECT_REASON_USSD_DECLINED,
	RejectExpired:            pb.RejectReason_REJECT_REASON_EXPIRED,
	RejectBankUnavailable:    pb.RejectReason_REJECT_REASON_BANK_UNAVAILABLE,
	RejectRateLimited:        pb.RejectReason_REJECT_REASON_RATE_LIMITED,
	RejectUnsupported:        pb.RejectReason_REJECT_REASON_UNSUPPORTED,
}

func invert[K comparable, V comparable](m map[K]V) map[V]K {
	out := make(map[V]K, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

var (
	methodFromProto = invert(methodToProto)
	kindFromProto   = invert(kindToProto)
	reasonFromProto = invert(reasonToProto)
)

// Unknown enum values travel as UNSPECIFIED one way and as a recognisable
// invalid string the other way, so Validate can report them.

func methodToPB(m Method) pb.LoginMethod { return methodToProto[m] }

func methodFromPB(m pb.LoginMethod) Method {
	if v, ok := methodFromProto[m]; ok {
		return v
	}
	return Method(m.String())
}

func kindToPB(k ChallengeKind) pb.ChallengeKind { return kindToProto[k] }

func kindFromPB(k pb.ChallengeKind) ChallengeKind {
	if v, ok := kindFromProto[k]; ok {
		return v
	}
	return ChallengeKind(k.String())
}

func reasonToPB(r RejectReason) pb.RejectReason { return reasonToProto[r] }

func reasonFromPB(r pb.RejectReason) RejectReason {
	if v, ok := reasonFromProto[r]; ok {
		return v
	}
	return RejectReason(r.String())
}

func timeToPB(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func timeFromPB(t *timestamppb.Timestamp) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.AsTime().UTC()
}

func kindsToPB(ks []ChallengeKind) []pb.ChallengeKind {
	out := make([]pb.ChallengeKind, 0, len(ks))
	for _, k := range ks {
		out = append(out, kindToPB(k))
	}
	return out
}

func kindsFromPB(ks []pb.ChallengeKind) []ChallengeKind {
	out := make([]ChallengeKind, 0, len(ks))
	for _, k := range ks {
		out = append(out, kindFromPB(k))
	}
	return out
}

func metadataToPB(m Metadata) *pb.Metadata {
	out := &pb.Metadata{
		Name:          m.Name,
		Version:       m.Version,
		ProtocolMinor: m.ProtocolMinor,
		Capabilities: &pb.Capabilities{
			MfaKinds:      kindsToPB(m.Capabilities.MFAKinds),
			Ussd:          m.Capabilities.USSD,
			SessionResume: m.Capabilities.SessionResume,
			Balance:       m.Capabilities.Balance,
		},
	}
	for _, b := range m.Banks {
		pbank := &pb.Bank{
			Id:       b.ID,
			Name:     b.Name,
			Country:  b.Country,
			Code:     b.Code,
			MfaKinds: kindsToPB(b.MFAKinds),
			Products: append([]string(nil), b.Products...),
		}
		for _, meth := range b.Methods {
			pbank.Methods = append(pbank.Methods, methodToPB(meth))
		}
		methods := make([]Method, 0, len(b.Fields))
		for meth := range b.Fields {
			methods = append(methods, meth)
		}
		sort.Slice(methods, func(i, j int) bool { return methods[i] < methods[j] })
		for _, meth := range methods {
			mc := &pb.MethodCredentials{Method: methodToPB(meth)}
			for _, f := range b.Fields[meth] {
				mc.Fields = append(mc.Fields, &pb.CredentialField{Name: f.Name, Label: f.Label, Secret: f.Secret})
			}
			pbank.Credentials = append(pbank.Credentials, mc)
		}
		out.Banks = append(out.Banks, pbank)
	}
	return out
}

func metadataFromPB(m *pb.Metadata) Metadata {
	caps := m.GetCapabilities()
	out := Metadata{
		Name:          m.GetName(),
		Version:       m.GetVersion(),
		ProtocolMinor: m.GetProtocolMinor(),
		Capabilities: Capabilities{
			MFAKinds:      kindsFromPB(caps.GetMfaKinds()),
			USSD:          caps.GetUssd(),
			SessionResume: caps.GetSessionResume(),
			Balance:       caps.GetBalance(),
		},
	}
	for _, b := range m.GetBanks() {
		bank := Bank{
			ID:       b.GetId(),
			Name:     b.GetName(),
			Country:  b.GetCountry(),
			Code:     b.GetCode(),
			MFAKinds: kindsFromPB(b.GetMfaKinds()),
			Products: append([]string(nil), b.GetProducts()...),
			Fields:   map[Method][]CredentialField{},
		}
		for _, meth := range b.GetMethods() {
			bank.Methods = append(bank.Methods, methodFromPB(meth))
		}
		for _, mc := range b.GetCredentials() {
			var fields []CredentialField
			for _, f := range mc.GetFields() {
				fields = append(fields, CredentialField{Name: f.GetName(), Label: f.GetLabel(), Secret: f.GetSecret()})
			}
			bank.Fields[methodFromPB(mc.GetMethod())] = fields
		}
		out.Banks = append(out.Banks, bank)
	}
	return out
}

func beginLoginToPB(r BeginLoginRequest) *pb.BeginLoginRequest {
	return &pb.BeginLoginRequest{Bank: r.Bank, Method: methodToPB(r.Method), Credentials: map[string]string(r.Credentials)}
}

func beginLoginFromPB(r *pb.BeginLoginRequest) BeginLoginRequest {
	creds := Credentials{}
	for k, v := range r.GetCredentials() {
		creds[k] = v
	}
	return BeginLoginRequest{Bank: r.GetBank(), Method: methodFromPB(r.GetMethod()), Credentials: creds}
}

func continueLoginToPB(r ContinueLoginRequest) *pb.ContinueLoginRequest {
	return &pb.ContinueLoginRequest{FlowState: r.FlowState, Answer: r.Answer}
}

func continueLoginFromPB(r *pb.ContinueLoginRequest) ContinueLoginRequest {
	return ContinueLoginRequest{FlowState: r.GetFlowState(), Answer: r.GetAnswer()}
}

func resumeToPB(r ResumeSessionRequest) *pb.ResumeSessionRequest {
	return &pb.ResumeSessionRequest{Bank: r.Bank, Session: r.Session}
}

func resumeFromPB(r *pb.ResumeSessionRequest) ResumeSessionRequest {
	return ResumeSessionRequest{Bank: r.GetBank(), Session: r.GetSession()}
}

func balanceReqToPB(r GetBalanceRequest) *pb.GetBalanceRequest {
	return &pb.GetBalanceRequest{Bank: r.Bank, Session: r.Session, AccountIds: r.AccountIDs}
}

func balanceReqFromPB(r *pb.GetBalanceRequest) GetBalanceRequest {
	return GetBalanceRequest{Bank: r.GetBank(), Session: r.GetSession(), AccountIDs: r.GetAccountIds()}
}

func rejectedToPB(r *Rejected) *pb.Rejected {
	return &pb.Rejected{Reason: reasonToPB(r.Reason), Message: r.Message, Retryable: r.Retryable}
}

func rejectedFromPB(r *pb.Rejected) *Rejected {
	return &Rejected{Reason: reasonFromPB(r.GetReason()), Message: r.GetMessage(), Retryable: r.GetRetryable()}
}

func stepToPB(s Step) *pb.Step {
	out := &pb.Step{FlowState: s.FlowState}
	switch {
	case s.Challenge != nil:
		c := s.Challenge
		attempts := c.AttemptsLeft
		if attempts < 0 {
			attempts = 0
		}
		out.Result = &pb.Step_Challenge{Challenge: &pb.Challenge{
			Kind: kindToPB(c.Kind), Prompt: c.Prompt, UssdCode: c.USSDCode,
			AttemptsLeft: uint32(attempts), ExpiresAt: timeToPB(c.ExpiresAt),
		}}
	case s.Pending != nil:
		ms := s.Pending.PollAfter.Milliseconds()
		if ms < 0 {
			ms = 0
		}
		out.Result = &pb.Step_Pending{Pending: &pb.Pending{PollAfterMs: uint32(ms)}}
	case s.Authenticated != nil:
		a := s.Authenticated
		pa := &pb.Authenticated{Session: a.Session, Owner: &pb.Owner{
			Name: a.Owner.Name, Bvn: a.Owner.BVN, Phone: a.Owner.Phone, Email: a.Owner.Email,
		}}
		for _, acc := range a.Accounts {
			pa.Accounts = append(pa.Accounts, &pb.Account{
				Id: acc.ID, Nuban: acc.NUBAN, Name: acc.Name, Type: acc.Type, Currency: acc.Currency,
				AvailableMinor: acc.AvailableMinor, LedgerMinor: acc.LedgerMinor,
			})
		}
		out.Result = &pb.Step_Authenticated{Authenticated: pa}
	case s.Rejected != nil:
		out.Result = &pb.Step_Rejected{Rejected: rejectedToPB(s.Rejected)}
	}
	return out
}

func stepFromPB(s *pb.Step) Step {
	out := Step{FlowState: s.GetFlowState()}
	switch r := s.GetResult().(type) {
	case *pb.Step_Challenge:
		c := r.Challenge
		out.Challenge = &Challenge{
			Kind: kindFromPB(c.GetKind()), Prompt: c.GetPrompt(), USSDCode: c.GetUssdCode(),
			AttemptsLeft: int(c.GetAttemptsLeft()), ExpiresAt: timeFromPB(c.GetExpiresAt()),
		}
	case *pb.Step_Pending:
		out.Pending = &Pending{PollAfter: time.Duration(r.Pending.GetPollAfterMs()) * time.Millisecond}
	case *pb.Step_Authenticated:
		a := r.Authenticated
		auth := &Authenticated{Session: a.GetSession(), Owner: Owner{
			Name: a.GetOwner().GetName(), BVN: a.GetOwner().GetBvn(),
			Phone: a.GetOwner().GetPhone(), Email: a.GetOwner().GetEmail(),
		}}
		for _, acc := range a.GetAccounts() {
			auth.Accounts = append(auth.Accounts, Account{
				ID: acc.GetId(), NUBAN: acc.GetNuban(), Name: acc.GetName(), Type: acc.GetType(),
				Currency: acc.GetCurrency(), AvailableMinor: acc.AvailableMinor, LedgerMinor: acc.LedgerMinor,
			})
		}
		out.Authenticated = auth
	case *pb.Step_Rejected:
		out.Rejected = rejectedFromPB(r.Rejected)
	}
	return out
}

func balanceResultToPB(r BalanceResult) *pb.GetBalanceResponse {
	out := &pb.GetBalanceResponse{RotatedSession: r.RotatedSession}
	if r.Rejected != nil {
		out.Result = &pb.GetBalanceResponse_Rejected{Rejected: rejectedToPB(r.Rejected)}
		return out
	}
	bs := &pb.Balances{}
	for _, b := range r.Balances {
		bs.Balances = append(bs.Balances, &pb.Balance{
			AccountId: b.AccountID, AvailableMinor: b.AvailableMinor, LedgerMinor: b.LedgerMinor,
			Currency: b.Currency, AsOf: timeToPB(b.AsOf),
		})
	}
	out.Result = &pb.GetBalanceResponse_Balances{Balances: bs}
	return out
}

// balanceResultFromPB reports ok=false when neither balances nor a
// rejection was set.
func balanceResultFromPB(r *pb.GetBalanceResponse) (BalanceResult, bool) {
	out := BalanceResult{RotatedSession: r.GetRotatedSession()}
	switch v := r.GetResult().(type) {
	case *pb.GetBalanceResponse_Rejected:
		out.Rejected = rejectedFromPB(v.Rejected)
	case *pb.GetBalanceResponse_Balances:
		for _, b := range v.Balances.GetBalances() {
			out.Balances = append(out.Balances, Balance{
				AccountID: b.GetAccountId(), AvailableMinor: b.GetAvailableMinor(), LedgerMinor: b.GetLedgerMinor(),
				Currency: b.GetCurrency(), AsOf: timeFromPB(b.GetAsOf()),
			})
		}
	default:
		return out, false
	}
	return out, true
}
