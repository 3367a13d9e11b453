import type { Form } from './stripe-form.js';

/** The Stripe objects the fake keeps, shaped like Stripe's (only the fields the platform reads or tests look at). */
export type Metadata = Record<string, string>;
export interface FakeProduct {
  id: string;
  object: 'product';
  active: boolean;
  name: string;
  description: string | null;
  metadata: Metadata;
  created: number;
}
export interface FakePrice {
  id: string;
  object: 'price';
  active: boolean;
  product: string;
  currency: string;
  unit_amount: number;
  type: 'recurring';
  recurring: { interval: string; interval_count: number };
  metadata: Metadata;
  created: number;
}
export interface FakeCustomer {
  id: string;
  object: 'customer';
  email: string | null;
  name: string | null;
  metadata: Metadata;
  created: number;
}
export interface FakeSession {
  id: string;
  object: 'checkout.session';
  mode: 'subscription';
  status: 'open' | 'complete';
  payment_status: string;
  customer: string;
  client_reference_id: string | null;
  metadata: Metadata;
  subscription: string | null;
  url: string;
  success_url: string;
  cancel_url: string | null;
  automatic_tax: { enabled: boolean };
  customer_update: Form | null;
  created: number;
  // Not in Stripe's session object: what the request asked for, kept for the hosted page and for tests.
  line_items: { price: string; quantity: number }[];
  subscription_data: { metadata: Metadata; trial_period_days: number | null };
}
export interface FakeItem {
  id: string;
  object: 'subscription_item';
  subscription: string;
  price: FakePrice;
  quantity: number;
  current_period_start: number;
  current_period_end: number;
}
export interface FakeSubscription {
  id: string;
  object: 'subscription';
  customer: string;
  status: string;
  metadata: Metadata;
  items: { object: 'list'; data: FakeItem[] };
  trial_start: number | null;
  trial_end: number | null;
  cancel_at_period_end: boolean;
  latest_invoice: string | null;
  created: number;
  start_date: number;
}
export interface FakeInvoice {
  id: string;
  object: 'invoice';
  number: string;
  status: 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
  customer: string;
  currency: string;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  attempt_count: number;
  hosted_invoice_url: string;
  invoice_pdf: string;
  period_start: number;
  period_end: number;
  created: number;
  metadata: Metadata;
  lines: {
    object: 'list';
    data: { id: string; object: 'line_item'; amount: number; currency: string; quantity: number; period: { start: number; end: number } }[];
  };
  parent: { type: 'subscription_details'; subscription_details: { subscription: string; metadata: Metadata } };
  status_transitions: { finalized_at: number | null; paid_at: number | null };
}
export interface FakePortalSession {
  id: string;
  object: 'billing_portal.session';
  customer: string;
  return_url: string;
  url: string;
}
