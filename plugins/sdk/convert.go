package sdk

// All translation between the SDK's types and the generated protobuf types
// lives in this file.

import (
	"sort"
	"time"

	pb "github.com/bankauth/bankauth/plugins/sdk/internal/connectorv1"
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
			Identity:      m.Capabilities.Identity,
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
			Identity:      caps.GetIdentity(),
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
		pa := &pb.Authenticated{Session: a.Session, Owner: ownerToPB(a.Owner, a.Identity)}
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
		auth := &Authenticated{Session: a.GetSession()}
		auth.Owner, auth.Identity = ownerFromPB(a.GetOwner())
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

// ownerToPB writes a login's owner and, when the login has it, the full
// identity (fields 5-13) in one message; a host of 1.0 reads fields 1-4,
// filled from the identity where the owner leaves them empty.
func ownerToPB(o Owner, id *Identity) *pb.Owner {
	out := &pb.Owner{Name: o.Name, Bvn: o.BVN, Phone: o.Phone, Email: o.Email}
	if id == nil {
		return out
	}
	full := identityToPB(*id)
	for _, f := range []struct {
		dst *string
		v   string
	}{{&full.Name, o.Name}, {&full.Bvn, o.BVN}, {&full.Phone, o.Phone}, {&full.Email, o.Email}} {
		if f.v != "" {
			*f.dst = f.v
		}
	}
	return full
}

// hasIdentity reports whether a message carries any field of 1.1.
func hasIdentity(o *pb.Owner) bool {
	return o.GetFirstName() != "" || o.GetMiddleName() != "" || o.GetLastName() != "" || o.GetDateOfBirth() != "" ||
		o.GetGender() != "" || o.GetNin() != "" || len(o.GetPhones()) > 0 || len(o.GetEmails()) > 0 || len(o.GetAddresses()) > 0
}

func ownerFromPB(o *pb.Owner) (Owner, *Identity) {
	owner := Owner{Name: o.GetName(), BVN: o.GetBvn(), Phone: o.GetPhone(), Email: o.GetEmail()}
	if !hasIdentity(o) {
		return owner, nil
	}
	id := identityFromPB(o)
	return owner, &id
}

// identityToPB also fills the 1.0 fields phone and email with the first of
// phones and emails.
func identityToPB(i Identity) *pb.Owner {
	out := &pb.Owner{
		Name: i.Name, Bvn: i.BVN, FirstName: i.FirstName, MiddleName: i.MiddleName, LastName: i.LastName,
		DateOfBirth: i.DateOfBirth, Gender: string(i.Gender), Nin: i.NIN,
		Phones: i.Phones, Emails: i.Emails, Addresses: i.Addresses,
	}
	if len(i.Phones) > 0 {
		out.Phone = i.Phones[0]
	}
	if len(i.Emails) > 0 {
		out.Email = i.Emails[0]
	}
	return out
}

// identityFromPB reads phones and emails from the 1.0 fields when the
// lists are empty.
func identityFromPB(o *pb.Owner) Identity {
	id := Identity{
		Name: o.GetName(), BVN: o.GetBvn(), FirstName: o.GetFirstName(), MiddleName: o.GetMiddleName(),
		LastName: o.GetLastName(), DateOfBirth: o.GetDateOfBirth(), Gender: Gender(o.GetGender()), NIN: o.GetNin(),
		Phones: o.GetPhones(), Emails: o.GetEmails(), Addresses: o.GetAddresses(),
	}
	if len(id.Phones) == 0 && o.GetPhone() != "" {
		id.Phones = []string{o.GetPhone()}
	}
	if len(id.Emails) == 0 && o.GetEmail() != "" {
		id.Emails = []string{o.GetEmail()}
	}
	return id
}

func identityReqToPB(r GetIdentityRequest) *pb.GetIdentityRequest {
	return &pb.GetIdentityRequest{Bank: r.Bank, Session: r.Session}
}

func identityReqFromPB(r *pb.GetIdentityRequest) GetIdentityRequest {
	return GetIdentityRequest{Bank: r.GetBank(), Session: r.GetSession()}
}

func identityResultToPB(r IdentityResult) *pb.GetIdentityResponse {
	out := &pb.GetIdentityResponse{RotatedSession: r.RotatedSession}
	switch {
	case r.Rejected != nil:
		out.Result = &pb.GetIdentityResponse_Rejected{Rejected: rejectedToPB(r.Rejected)}
	case r.Identity != nil:
		out.Result = &pb.GetIdentityResponse_Owner{Owner: identityToPB(*r.Identity)}
	}
	return out
}

func identityResultFromPB(r *pb.GetIdentityResponse) IdentityResult {
	out := IdentityResult{RotatedSession: r.GetRotatedSession()}
	switch v := r.GetResult().(type) {
	case *pb.GetIdentityResponse_Rejected:
		out.Rejected = rejectedFromPB(v.Rejected)
	case *pb.GetIdentityResponse_Owner:
		id := identityFromPB(v.Owner)
		out.Identity = &id
	}
	return out
}
