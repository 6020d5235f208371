/** Input fields shared by the creates and the search. */
export const emailField = { key: 'email', label: 'Email', required: true, helpText: 'The email address, e.g. ada@example.com.' };
export const nameField = { key: 'name', label: 'Name', required: true, helpText: 'Full name, e.g. Ada Lovelace.' };
export const phoneField = { key: 'phone', label: 'Phone', required: false, helpText: 'Phone number in any format.' };
export const customerIdField = {
  key: 'customer_id',
  label: 'Customer ID',
  required: true,
  helpText: 'The customer\'s ID (starts with `cus_`): map it from a trigger or a Find Customer step.',
};

/** Optional text input: blank means "not given". */
export function optionalText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

export function text(value: unknown): string {
  return value === undefined || value === null ? '' : String(value).trim();
}
