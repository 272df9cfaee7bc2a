//! The words the rules know: identifier words and their kinds, the fillers that may follow
//! them, amount words, abbreviations, and the e-mail hosts and top-level domains.

use super::RedactionKind;

/// A built-in identifier word's kind, the digits its number needs, and whether it is "card".
pub(super) fn builtin_trigger(w: &[u8]) -> Option<(RedactionKind, u8, bool)> {
    use RedactionKind::*;
    Some(match w {
        b"policy" | b"insurance" => (Policy, 4, false),
        b"member" | b"membership" | b"uhid" | b"mrn" | b"claim" | b"id" | b"registration"
        | b"uid" => (MemberId, 4, false),
        b"card" => (Account, 4, true),
        b"account" | b"a/c" | b"acct" | b"reference" | b"ref" | b"ifsc" | b"upi" => {
            (Account, 4, false)
        }
        b"cvv" | b"cvc" => (Card, 3, false),
        b"otp" => (Otp, 3, false),
        b"aadhaar" | b"aadhar" | b"adhaar" | b"adhar" => (Aadhaar, 4, false),
        b"pan" => (Pan, 4, false),
        b"phone" | b"mobile" | b"whatsapp" | b"contact" | b"landline" => (Phone, 6, false),
        _ => return None,
    })
}

/// Words that may stand between an identifier word and its number ("policy number is …",
/// "policy no. hai …", "mera UHID number …").
pub(super) fn filler(w: &[u8]) -> bool {
    matches!(
        w,
        b"number"
            | b"numbers"
            | b"no"
            | b"nos"
            | b"num"
            | b"nr"
            | b"nambar"
            | b"namber"
            | b"id"
            | b"is"
            | b"was"
            | b"are"
            | b"hai"
            | b"h"
            | b"he"
            | b"hain"
            | b"ka"
            | b"ki"
            | b"ke"
            | b"ko"
            | b"mera"
            | b"meri"
            | b"mere"
            | b"my"
            | b"our"
            | b"your"
            | b"the"
            | b"its"
            | b"it's"
            | b"it"
            | b"code"
            | b"details"
            | b"card"
            | b"please"
            | b"ji"
            | b"toh"
            | b"to"
            | b"that"
            | b"this"
            | b"yeh"
            | b"ye"
            | b"of"
            | b"um"
            | b"uh"
            | b"-"
            | b"="
    )
}

/// Words after a number that make it an amount.
pub(super) fn currency(w: &[u8]) -> bool {
    matches!(
        w,
        b"rupees"
            | b"rupee"
            | b"rupaye"
            | b"rupay"
            | b"rs"
            | b"inr"
            | b"lakh"
            | b"lakhs"
            | b"crore"
            | b"crores"
            | b"hundred"
            | b"thousand"
    )
}

/// A full stop after these is an abbreviation, not the end of the sentence.
pub(super) fn abbreviation(w: &[u8]) -> bool {
    matches!(
        w,
        b"no" | b"nos" | b"num" | b"nr" | b"ref" | b"acct" | b"a/c" | b"id"
    )
}

/// Top-level domains a spoken e-mail may end in.
pub(super) const TLDS: &[&[u8]] = &[
    b"com", b"in", b"org", b"net", b"co", b"edu", b"gov", b"io", b"info", b"me", b"biz", b"ac",
    b"ai", b"nic", b"res",
];
/// Mail hosts that make "name at host dot com" an e-mail without further sign.
pub(super) const WEBMAIL: &[&[u8]] = &[
    b"gmail",
    b"yahoo",
    b"hotmail",
    b"outlook",
    b"rediffmail",
    b"rediff",
    b"icloud",
    b"live",
    b"ymail",
    b"protonmail",
    b"proton",
    b"aol",
    b"zoho",
];
