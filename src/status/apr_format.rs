//! Number formatting as Apache's mod_status (and, for `strfsize`, mod_autoindex and the
//! balancer manager) prints it: through APR's own `printf`
//! (`apr_snprintf`), not the C library's. The differences are visible and parsers of `?auto`
//! have grown used to them: `%g` drops the leading zero (`.25`, not `0.25`), switches to an
//! exponent only past ten digits before the point (`23012700`, not `2.30127e+07`), and writes
//! exponents without padding (`1.5e+7`).
//!
//! APR makes its digits by repeated multiplication in floating point (the old BSD `cvt`), then
//! rounds half up on those digits. This module generates digits the same way, so rounding
//! agrees with Apache even where the exact binary value would round the other way. Pure.

/// Digit buffer size of APR's converter (`NDIG`).
const MAX_DIGITS: usize = 80;

/// Decimal digits of `|x|` (ASCII), the position of the decimal point relative to them, and
/// the sign. `significant`: `ndigits` significant digits (e-style); otherwise `ndigits` digits
/// after the point (f-style).
fn convert(x: f64, ndigits: usize, significant: bool) -> (Vec<u8>, i32, bool) {
    let ndigits = ndigits.min(MAX_DIGITS - 2);
    let negative = x < 0.0;
    let mut arg = x.abs();
    if !arg.is_finite() {
        // Not reachable from the status page (callers guard divisions by zero); keep it sane.
        arg = 0.0;
    }
    let mut int_part = arg.trunc();
    arg -= int_part;
    let mut buf: Vec<u8> = Vec::with_capacity(MAX_DIGITS);
    let mut exponent: i32 = 0;
    if int_part != 0.0 {
        // Integer digits, least significant first, each from the fraction of a division by 10.
        let mut reversed = Vec::new();
        while reversed.len() < MAX_DIGITS && int_part != 0.0 {
            let tenth = int_part / 10.0;
            int_part = tenth.trunc();
            let frac = tenth - int_part;
            reversed.push(((frac + 0.03) * 10.0) as u8 + b'0');
            exponent += 1;
        }
        buf.extend(reversed.iter().rev());
    } else if arg > 0.0 {
        // Leading zeros after the point.
        loop {
            let scaled = arg * 10.0;
            if scaled >= 1.0 {
                break;
            }
            arg = scaled;
            exponent -= 1;
        }
    }
    // Index of the digit the result is rounded at (it is generated, then cut off).
    let mut round_at = ndigits as i64;
    if !significant {
        round_at += i64::from(exponent);
    }
    if round_at < 0 {
        return (Vec::new(), -(ndigits as i32), negative);
    }
    let round_at = round_at as usize;
    while buf.len() <= round_at && buf.len() < MAX_DIGITS {
        let scaled = arg * 10.0;
        let digit = scaled.trunc();
        arg = scaled - digit;
        buf.push(digit as u8 + b'0');
    }
    if round_at >= MAX_DIGITS {
        buf.truncate(MAX_DIGITS - 1);
        return (buf, exponent, negative);
    }
    // Round half up on the generated digits, carrying to the left.
    let mut end = round_at;
    let mut i = round_at;
    buf[i] += 5;
    while buf[i] > b'9' {
        buf[i] = b'0';
        if i > 0 {
            i -= 1;
            buf[i] += 1;
        } else {
            buf[i] = b'1';
            exponent += 1;
            if !significant {
                if end > 0 {
                    buf[end] = b'0';
                }
                end += 1;
                if buf.len() < end {
                    buf.resize(end, b'0');
                }
            }
        }
    }
    buf.truncate(end);
    (buf, exponent, negative)
}

/// `%.<precision>g` as APR prints it (`%g` is precision 6).
pub fn g_prec(x: f64, precision: usize) -> String {
    let precision = precision.max(1);
    let (digits, mut point, negative) = convert(x, precision, true);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let mut n = digits.len().min(precision);
    while n > 1 && digits[n - 1] == b'0' {
        n -= 1;
    }
    let digit = |i: usize| char::from(*digits.get(i).unwrap_or(&b'0'));
    if (point >= 0 && point - n as i32 > 4) || point < -3 {
        point -= 1;
        out.push(digit(0));
        out.push('.');
        for i in 1..n {
            out.push(digit(i));
        }
        out.push('e');
        out.push(if point < 0 { '-' } else { '+' });
        let e = point.unsigned_abs();
        if e / 100 > 0 {
            out.push(char::from(b'0' + (e / 100) as u8));
        }
        if e / 10 > 0 {
            out.push(char::from(b'0' + (e % 100 / 10) as u8));
        }
        out.push(char::from(b'0' + (e % 10) as u8));
    } else {
        if point <= 0 {
            if digit(0) != '0' {
                out.push('.');
            }
            while point < 0 {
                point += 1;
                out.push('0');
            }
        }
        for i in 1..=n {
            out.push(digit(i - 1));
            if i as i32 == point {
                out.push('.');
            }
        }
        if (n as i32) < point {
            for _ in n as i32..point {
                out.push('0');
            }
            out.push('.');
        }
    }
    if out.ends_with('.') {
        out.pop();
    }
    out
}

/// `%g`.
pub fn g(x: f64) -> String {
    g_prec(x, 6)
}

/// `%.<precision>f` as APR prints it.
pub fn f(x: f64, precision: usize) -> String {
    let (digits, point, negative) = convert(x, precision, false);
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    let mut rest = digits.as_slice();
    if point <= 0 {
        out.push('0');
        if precision > 0 {
            out.push('.');
            for _ in point..0 {
                out.push('0');
            }
        }
    } else {
        let whole = (point as usize).min(rest.len());
        out.extend(rest[..whole].iter().map(|&b| char::from(b)));
        rest = &rest[whole..];
        if precision > 0 {
            out.push('.');
        }
    }
    out.extend(rest.iter().map(|&b| char::from(b)));
    out
}

/// `apr_strfsize`: a size in four characters (`  0 `, `591 `, `1.3K`, ` 12M`), as mod_autoindex
/// and the balancer manager print it.
pub fn strfsize(size: u64) -> String {
    const ORDERS: &[u8] = b"KMGTPE";
    if size < 973 {
        return format!("{size:3} ");
    }
    let mut size = size;
    let mut order = 0;
    loop {
        let mut remain = size & 1023;
        size >>= 10;
        if size >= 973 {
            order += 1;
            continue;
        }
        let unit = char::from(ORDERS[order.min(ORDERS.len() - 1)]);
        if size < 9 || (size == 9 && remain < 973) {
            remain = (remain * 5 + 256) / 512;
            if remain >= 10 {
                size += 1;
                remain = 0;
            }
            return format!("{size}.{remain}{unit}");
        }
        if remain >= 512 {
            size += 1;
        }
        return format!("{size:3}{unit}");
    }
}

/// mod_status's `format_byte_out`: `123 B`, `12.3 kB`, `1.2 MB`, `1.2 GB`.
pub fn bytes(n: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    const GB: u64 = 1024 * 1024 * 1024;
    if n < 5 * KB {
        format!("{n} B")
    } else if n < MB / 2 {
        format!("{} kB", f(f64::from(n as f32 / KB as f32), 1))
    } else if n < GB / 2 {
        format!("{} MB", f(f64::from(n as f32 / MB as f32), 1))
    } else {
        format!("{} GB", f(f64::from(n as f32 / GB as f32), 1))
    }
}

/// mod_status's `format_kbyte_out`: `123 kB`, `1.2 MB`, `1.2 GB`.
pub fn kilobytes(kb: u64) -> String {
    const KB: u64 = 1024;
    const MB: u64 = 1024 * 1024;
    if kb < KB {
        format!("{kb} kB")
    } else if kb < MB {
        format!("{} MB", f(f64::from(kb as f32 / KB as f32), 1))
    } else {
        format!("{} GB", f(f64::from(kb as f32 / MB as f32), 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g_matches_apache_outputs() {
        // Values seen in real Apache 2.4 `?auto` pages, and the corner cases of the format.
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (1.21, "1.21"),
            (2.2, "2.2"),
            (0.25, ".25"),
            (0.02, ".02"),
            (113.666_666_666_666_67, "113.667"),
            (17_654.333, "17654.3"),
            (23_012_693.0, "23012700"),
            (1_303.524, "1303.52"),
            (0.364_594_3, ".364594"),
            (0.002_380_952, ".00238095"),
            (0.000_123_4, ".0001234"),
            (0.000_012_34, "1.234e-5"),
            (15_000_000_000.0, "1.5e+10"),
            (1.0, "1"),
            (100.0, "100"),
            (999_999.7, "1.e+6"),
            (10_000_000.0, "1.e+7"),
            (-2.5, "-2.5"),
        ];
        for &(x, want) in cases {
            assert_eq!(g(x), want, "%g of {x}");
        }
        assert_eq!(g(f64::from(121f32 / 100f32)), "1.21");
        assert_eq!(g(f64::from(52963f32 / 3f32)), "17654.3");
        assert_eq!(g(f64::from(1024f32 * 67420f32 / 3f32)), "23012700");
    }

    #[test]
    fn g_with_precision_three() {
        for (x, want) in [
            (2.51, "2.51"),
            (4.034, "4.03"),
            (0.0, "0"),
            (1212.18, "1210"),
            (0.5, ".5"),
            (113.667, "114"),
        ] {
            assert_eq!(g_prec(x, 3), want, "%.3g of {x}");
        }
    }

    #[test]
    fn f_rounds_half_up_like_apr() {
        let cases: &[(f64, usize, &str)] = &[
            (6.19, 2, "6.19"),
            (0.0, 2, "0.00"),
            (0.05, 1, "0.1"),
            (0.01, 1, "0.0"),
            (0.0001, 1, "0.0"),
            (2.74, 2, "2.74"),
            (680.57, 2, "680.57"),
            (9.999, 2, "10.00"),
            (0.999, 1, "1.0"),
            (12.0, 0, "12"),
            (-1.25, 1, "-1.3"),
        ];
        for &(x, precision, want) in cases {
            assert_eq!(f(x, precision), want, "%.{precision}f of {x}");
        }
        assert_eq!(f(f64::from(6.19f32), 2), "6.19");
    }

    #[test]
    fn byte_sizes() {
        for (n, want) in [
            (0, "0 B"),
            (5119, "5119 B"),
            (5120, "5.0 kB"),
            (112_537, "109.9 kB"),
            (524_288, "0.5 MB"),
            (1_073_741_824, "1.0 GB"),
        ] {
            assert_eq!(bytes(n), want, "{n}");
        }
        for (kb, want) in [
            (0, "0 kB"),
            (1023, "1023 kB"),
            (1024, "1.0 MB"),
            (60_293_120, "57.5 GB"),
        ] {
            assert_eq!(kilobytes(kb), want, "{kb}");
        }
    }
}
