//! 统一社会信用代码 (unified social credit code) checks per GB 32100-2015.

/// The 31 characters a USCC may contain, in check-digit order (no I, O, S, V, Z).
const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a code is not a valid USCC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Not 18 characters long.
    #[error("统一社会信用代码应为18位，实际为{0}位 (a USCC has 18 characters, found {0})")]
    Length(usize),
    /// A character outside the GB 32100 character set.
    #[error("统一社会信用代码含非法字符“{0}” (character {0:?} is not allowed in a USCC)")]
    Character(char),
    /// The 18th character does not match the computed check digit.
    #[error(
        "统一社会信用代码校验位错误，应为“{expected}” (wrong check digit, expected {expected:?})"
    )]
    CheckDigit { expected: char },
}

/// The canonical form of a code as typed: trimmed, half-width, upper case.
pub fn canonical(raw: &str) -> String {
    super::text::to_half_width(raw)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase()
}

/// Checks length, character set and check digit of a canonical code.
pub fn validate(code: &str) -> Result<(), UsccError> {
    let chars: Vec<char> = code.chars().collect();
    if chars.len() != 18 {
        return Err(UsccError::Length(chars.len()));
    }
    let mut sum = 0;
    for (index, &c) in chars.iter().enumerate() {
        let value = CHARSET.find(c).ok_or(UsccError::Character(c))? as u32;
        if index < 17 {
            sum += value * WEIGHTS[index];
        }
    }
    let check = (31 - sum % 31) % 31;
    let expected = CHARSET.as_bytes()[check as usize] as char;
    if chars[17] == expected {
        Ok(())
    } else {
        Err(UsccError::CheckDigit { expected })
    }
}

/// Appends the check digit to 17 valid characters (used by the sample generator).
pub fn with_check_digit(first17: &str) -> String {
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, weight)| CHARSET.find(c).unwrap_or(0) as u32 * weight)
        .sum();
    let check = (31 - sum % 31) % 31;
    format!("{first17}{}", CHARSET.as_bytes()[check as usize] as char)
}

/// The character set, for generators that need valid codes.
pub fn charset() -> &'static [u8] {
    CHARSET.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roster_codes_are_valid() {
        assert_eq!(validate("913701002DG83HG909"), Ok(()));
        assert_eq!(validate("91370600H60030C14R"), Ok(()));
    }

    #[test]
    fn bad_codes_say_why() {
        assert_eq!(validate("91370100"), Err(UsccError::Length(8)));
        assert_eq!(
            validate("913701002DG83HG90I"),
            Err(UsccError::Character('I'))
        );
        assert!(matches!(
            validate("913701002DG83HG908"),
            Err(UsccError::CheckDigit { expected: '9' })
        ));
    }

    #[test]
    fn generated_check_digits_validate() {
        let code = with_check_digit("91370100ABCDEFGH1");
        assert_eq!(validate(&code), Ok(()));
        assert_eq!(
            canonical(" ９１３７０１００２dg83hg909 "),
            "913701002DG83HG909"
        );
    }
}
