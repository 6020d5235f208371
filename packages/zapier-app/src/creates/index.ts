export { createLead } from './create-lead.js';
export { createCustomer } from './create-customer.js';
export { updateCustomer } from './update-customer.js';
export { addNote } from './add-note.js';
