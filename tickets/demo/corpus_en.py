"""English texts of an online shop's support conversations, by topic (see corpus_ru)."""

OPENERS = {
    "delivery": [
        "Hi, my order {order} was supposed to arrive {days} days ago and it's still not here.",
        "Where is my order {order}? The tracking number hasn't updated for a week.",
        "The courier never showed up for order {order}. Can you reschedule for tomorrow?",
        "Order {order} has been 'out for delivery' for {days} days. When will it come?",
        "I got a notification that {order} was delivered but I have not received anything.",
        "Can I change the delivery address for order {order}? I have moved.",
    ],
    "payment": [
        "My card payment keeps failing with 'transaction declined'. Order {order}.",
        "I was charged twice for order {order}, ${amount} two times! Please refund.",
        "I paid for order {order}, the money is gone, but it still says 'awaiting payment'.",
        "The promo code won't apply at checkout, the button does nothing.",
        "When will I get my refund for the cancelled order {order}? It's been {days} days.",
    ],
    "return": [
        "I'd like to return an item from order {order}, wrong size. How do I do that?",
        "The item in order {order} arrived broken, there's a crack in the case. What now?",
        "I shipped my return for {order} {days} days ago and still no refund.",
        "Can I exchange the jacket from order {order} for a bigger size?",
        "One item is missing from order {order}, I paid ${amount}.",
    ],
    "technical": [
        "The app crashes when I open the cart. iPhone, latest version.",
        "I can't log in: the SMS code never arrives.",
        "The checkout page on the website is just a blank white screen.",
        "After the app update my order history is gone.",
        "I don't get order confirmation emails, spam folder is empty too.",
    ],
    "consultation": [
        "Is this model available in another colour?",
        "How long does shipping to Manchester take and how much is it?",
        "Do you have click and collect? I'd like to pick up order {order} myself.",
        "Can I pay for my order in instalments?",
        "What is the warranty on electronics and where are repairs done?",
    ],
    "complaint": [
        "This is the third time my order is late! Order {order}. I am very unhappy.",
        "The courier was rude and refused to bring the parcel upstairs. Sort this out.",
        "Two weeks and no answer about order {order}. I will file a complaint.",
        "The item in {order} is nothing like the description on the site. I want my money back.",
    ],
    "feedback": [
        "Thanks for the quick delivery, everything arrived in perfect shape!",
        "I want to thank {agent} from support, you really helped with my return.",
        "Suggestion: please add a size filter to the app.",
        "All great, will order again. Thank you!",
    ],
}

FOLLOW_UPS = [
    "Forgot to add: the order number is {order}.",
    "Attaching a screenshot.",
    "Please answer asap.",
    "I wrote yesterday but nobody replied.",
    "My phone number is the same as in the order.",
]

AGENT_FIRST = {
    "delivery": [
        "Hi {name}, {agent} here. Order {order} got delayed at the sorting centre; the new "
        "delivery date is in {days} days.",
        "Hello {name}! I contacted the carrier, the courier will come tomorrow 10am-2pm.",
        "Hi {name}, the address on order {order} is updated, delivery stays on schedule.",
    ],
    "payment": [
        "Hi {name}, I can see the double charge on order {order}. I've refunded ${amount}, "
        "it will reach you within {days} business days.",
        "Hello {name}! Your payment for {order} went through, the status is now updated.",
        "Hi {name}, the bank declined the payment. Please try another card or PayPal.",
    ],
    "return": [
        "Hi {name}, I've opened a return for order {order}. A courier will collect it within "
        "{days} days and we refund after inspection.",
        "Hello {name}! An exchange is possible, the new size ships tomorrow.",
        "Sorry about that, {name}! We'll send a replacement free of charge.",
    ],
    "technical": [
        "Hi {name}, thanks for reporting. It's a known bug, the fix ships in the next update. "
        "Meanwhile you can order on the website.",
        "Hello {name}! Please try logging out and back in.",
        "Hi {name}, I've passed this to our developers and will get back to you.",
    ],
    "consultation": [
        "Hi {name}! Yes, the model is in stock in three colours.",
        "Hello {name}! Shipping takes {days} days, the price is shown in the cart.",
        "Hi {name}, click and collect is available at our pickup points, see the website.",
    ],
    "complaint": [
        "Hi {name}, we are sorry. I'm {agent} and I'm personally following order {order}; "
        "we'll add compensation points to your account.",
        "{name}, we're very sorry. I've escalated this to the head of delivery.",
    ],
    "feedback": [
        "Thank you, {name}! Glad to hear it, I'll pass it on to the team.",
        "Thanks for the idea, {name}! I've shared it with our product team.",
    ],
}

AGENT_MORE = [
    "I checked again: all good, the status is updated.",
    "I double-checked, my answer above stands. Anything else I can help with?",
    "All done on our side. If that solves it, I'll close the ticket.",
    "Could you send a photo of the item and the order number?",
    "The refund is sent; how long it takes depends on your bank.",
]

CUSTOMER_MORE = [
    "Ok, I'll wait.",
    "Can it be any faster?",
    "I sent the photo, please have a look.",
    "Still not solved, order {order} never came.",
    "Got it, thanks. What about the timing?",
]

THANKS = ["Thanks, got it!", "Thank you so much, all sorted.", "Great, thanks!"]

NOTES = [
    "Customer also called the hotline about this.",
    "Check status with the carrier tomorrow morning.",
    "Refund approved by the shift lead.",
    "Loyal customer, we can offer a promo code.",
]

SUBJECTS = {
    "delivery": "Delayed delivery of order {order}",
    "payment": "Payment problem with order {order}",
    "return": "Return for order {order}",
    "technical": "App error",
    "consultation": "Product question",
    "complaint": "Complaint about order {order}",
    "feedback": "Feedback",
}
