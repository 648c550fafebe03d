// The benchmark's topologies: ten journeys of the kind a shop runs (event-triggered with keys, waitFor,
// restart and exit rules; condition entries with performed windows and re-entry; splits, branches, random
// A/B, sends), two audiences and the destinations they send to.

export const BENCH_DESTINATIONS = `destinations:
  - { id: email, type: webhook, url: 'https://email.example.com/hooks', format: segment-track }
  - { id: sms, type: webhook, url: 'https://sms.example.com/hooks', format: transition }
  - { id: crm, type: kafka, topic: crm-events, format: segment-identify }
  - { id: ads, type: webhook, url: 'https://ads.example.com/hooks', format: segment-identify }
`;

export const BENCH_AUDIENCES = `audiences:
  - id: shoppers
    condition: { performed: Product Added, within: 30d }
  - id: vip
    condition: { trait: plan, in: [gold, platinum] }
`;

export const BENCH_JOURNEYS: Record<string, string> = {
  'cart-abandonment.journey.yaml': `journey: cart-abandonment
entry:
  event: Product Added
  key: cart_id
  reentry: always
exit:
  after: 7d
  events:
    - event: Order Completed
  send: { to: [crm] }
steps:
  - id: hold
    waitFor:
      events:
        - { event: Cart Modified, restart: true }
        - { event: Checkout Started, next: checkout }
      timeout: 2h
      onTimeout: nudge
  - id: nudge
    send: { to: [email], event: Cart Abandoned, traits: [first_name] }
  - id: second-chance
    waitFor:
      events:
        - { event: Checkout Started, next: checkout }
      timeout: 1d
      onTimeout: last-call
  - id: last-call
    send: { to: [sms], event: Cart Reminder }
    next: end
  - id: checkout
    waitFor:
      events:
        - { event: Order Completed, next: end }
      timeout: 1h
      onTimeout: rescue
  - id: rescue
    send: { to: [email], event: Checkout Rescue }
`,
  'browse-abandonment.journey.yaml': `journey: browse-abandonment
entry:
  event: Product Viewed
  where: { price: { gte: 20 } }
  reentry: after-exit
  reentryAfter: 1d
exit:
  events:
    - event: Product Added
steps:
  - id: watch
    waitFor:
      events:
        - { event: Product Viewed, where: { category: { in: [shoes, bags] } }, alias: latest, restart: true }
      timeout: 1h
      onTimeout: route
  - id: route
    split:
      branches:
        - when: { context: latest.category, equals: shoes }
          next: shoes
        - when: { context: Product Viewed.price, gt: 100 }
          next: premium
      else: generic
  - id: shoes
    send: { to: [email], event: Shoes You Viewed }
    next: end
  - id: premium
    send: { to: [email, ads], event: Premium Pick }
    next: end
  - id: generic
    send: { to: [ads], event: Retarget }
`,
  'checkout-rescue.journey.yaml': `journey: checkout-rescue
entry:
  event: Checkout Started
  key: cart_id
exit:
  events:
    - event: Order Completed
steps:
  - id: grace
    wait: 30m
  - id: ping
    send: { to: [sms], event: Finish Your Order }
  - id: wait-order
    waitFor:
      events:
        - { event: Checkout Started, restart: true }
      timeout: 1d
      onTimeout: coupon
  - id: coupon
    send: { to: [email], event: Coupon, traits: [plan] }
`,
  'post-purchase.journey.yaml': `journey: post-purchase
entry:
  event: Order Completed
  key: order_id
steps:
  - id: receipt
    send: { to: [email], event: Receipt }
  - id: settle
    wait: 3d
  - id: ab
    random:
      branches:
        - { percent: 50, next: review }
        - { percent: 50, next: cross-sell }
  - id: review
    send: { to: [email], event: Review Request }
    next: end
  - id: cross-sell
    send: { to: [ads], event: Cross Sell }
`,
  'welcome.journey.yaml': `journey: welcome
entry:
  condition: { trait: signup_date, withinLast: 2d }
exit:
  condition: { trait: unsubscribed, equals: true }
steps:
  - id: hello
    send: { to: [email], event: Welcome, traits: [first_name] }
  - id: pause
    wait: 1d
  - id: activated
    waitUntil:
      condition: { performed: Product Added, atLeast: 1 }
      timeout: 3d
      onTimeout: tips
    next: by-plan
  - id: tips
    send: { to: [email], event: Getting Started }
    next: end
  - id: by-plan
    split:
      branches:
        - when: { trait: plan, equals: trial }
          next: upsell
      else: end
  - id: upsell
    send: { to: [crm] }
`,
  'win-back.journey.yaml': `journey: win-back
entry:
  condition:
    all:
      - { performed: Order Completed, atLeast: 1 }
      - { performed: Page Viewed, within: 7d, exactly: 0 }
  reentry: after-exit
  reentryAfter: 14d
exit:
  after: 7d
  events:
    - event: Page Viewed
steps:
  - id: miss-you
    send: { to: [email], event: We Miss You }
  - id: back
    waitUntil:
      condition: { performed: Session Started, within: 1d }
      timeout: 3d
      onTimeout: offer
    next: end
  - id: offer
    send: { to: [email, sms], event: Come Back Offer }
`,
  'vip-upgrade.journey.yaml': `journey: vip-upgrade
entry:
  condition: { performed: Order Completed, atLeast: 3, within: 21d }
steps:
  - id: notify
    send: { to: [crm], event: VIP Candidate, traits: [plan] }
  - id: fork
    branch:
      branches:
        - when: { audience: vip }
          next: thanks
        - when: { performed: Checkout Started, within: 1d }
          next: fast-lane
  - id: thanks
    send: { to: [email], event: VIP Thanks }
    next: end
  - id: fast-lane
    send: { to: [sms], event: Fast Lane }
`,
  'high-value-cart.journey.yaml': `journey: high-value-cart
entry:
  event: Cart Modified
  where: { total: { gt: 200 } }
  when: { audience: shoppers }
  key: cart_id
  reentry: once
exit:
  after: 2d
  events:
    - event: Order Completed
steps:
  - id: concierge
    send: { to: [crm], event: High Value Cart, traits: [plan, country] }
  - id: follow
    waitFor:
      events:
        - { event: Cart Modified, where: { total: { lte: 200 } }, next: end }
        - { event: Checkout Started, next: end }
      timeout: 6h
      onTimeout: call
  - id: call
    send: { to: [sms], event: Concierge Call }
`,
  'engagement.journey.yaml': `journey: engagement
entry:
  event: Session Started
  reentry: after-exit
  reentryAfter: 1d
exit:
  after: 1d
steps:
  - id: engaged
    waitUntil:
      condition: { performed: Page Viewed, atLeast: 5, within: 1h }
      timeout: 6h
      onTimeout: end
  - id: by-country
    split:
      branches:
        - when: { trait: country, in: [US, CA] }
          next: na
        - when: { trait: country, equals: DE }
          next: eu
      else: end
  - id: na
    send: { to: [ads], event: Engaged NA }
    next: end
  - id: eu
    send: { to: [ads], event: Engaged EU }
`,
  'trial-conversion.journey.yaml': `journey: trial-conversion
entry:
  condition: { trait: plan, equals: trial }
exit:
  condition: { trait: plan, in: [basic, gold, platinum] }
  send: { to: [crm], event: Trial Converted }
steps:
  - id: day-two
    wait: 2d
  - id: tips
    send: { to: [email], event: Trial Tips }
  - id: first-order
    waitUntil:
      condition: { performed: Order Completed, atLeast: 1 }
  - id: congrats
    send: { to: [email], event: First Order Congrats }
`,
};
