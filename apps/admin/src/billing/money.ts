// Prices and revenue travel in minor units of one currency (cents); these turn them into what people read and type.

const formats = new Map<string, Intl.NumberFormat>();

function currencyFormat(currency: string): Intl.NumberFormat {
  const code = currency.toUpperCase();
  let format = formats.get(code);
  if (!format) {
    format = new Intl.NumberFormat(undefined, { style: 'currency', currency: code });
    formats.set(code, format);
  }
  return format;
}

/** How many minor units make one major unit: 100 for EUR, 1 for JPY. */
export function minorPerMajor(currency: string): number {
  return 10 ** (currencyFormat(currency).resolvedOptions().maximumFractionDigits ?? 2);
}

/** "€12.50" from 1250 minor units. */
export function formatMoney(minor: number, currency: string): string {
  return currencyFormat(currency).format(minor / minorPerMajor(currency));
}

/** What the admin types (major units, e.g. 12.5) as minor units (1250); rounding drops sub-cent input. */
export function toMinor(major: number, currency: string): number {
  return Math.round(major * minorPerMajor(currency));
}

export function toMajor(minor: number, currency: string): number {
  return minor / minorPerMajor(currency);
}
